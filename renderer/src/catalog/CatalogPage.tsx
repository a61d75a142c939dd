import { Result, Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { ArtifactsPage } from './artifacts/ArtifactsPage';
import { ModelsPage } from './models/ModelsPage';

/** The catalog: artifacts and hardware models; apps and combos say they are not built yet. */
export function CatalogPage() {
  const { t } = useTranslation();
  const soon = (key: 'appsSoon' | 'combosSoon') => (
    <Result status="info" title={t('notAvailable.title')} subTitle={`${t(`catalog.${key}`)} ${t('notAvailable.subtitle')}`} />
  );
  return (
    <Tabs
      data-testid="catalog-tabs"
      defaultActiveKey="artifacts"
      items={[
        { key: 'artifacts', label: t('catalog.tabs.artifacts'), children: <ArtifactsPage /> },
        { key: 'models', label: t('catalog.tabs.models'), children: <ModelsPage /> },
        { key: 'apps', label: t('catalog.tabs.apps'), children: soon('appsSoon') },
        { key: 'combos', label: t('catalog.tabs.combos'), children: soon('combosSoon') },
      ]}
    />
  );
}
