import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { AppsPage } from './apps/AppsPage';
import { ArtifactsPage } from './artifacts/ArtifactsPage';
import { CombosPage } from './combos/CombosPage';
import { DocumentActions } from './DocumentActions';
import { ModelsPage } from './models/ModelsPage';

/** The catalog: artifacts, hardware models, applications and appliance combos, plus catalog documents. */
export function CatalogPage() {
  const { t } = useTranslation();
  return (
    <Tabs
      data-testid="catalog-tabs"
      defaultActiveKey="artifacts"
      tabBarExtraContent={<DocumentActions />}
      items={[
        { key: 'artifacts', label: t('catalog.tabs.artifacts'), children: <ArtifactsPage /> },
        { key: 'models', label: t('catalog.tabs.models'), children: <ModelsPage /> },
        { key: 'apps', label: t('catalog.tabs.apps'), children: <AppsPage /> },
        { key: 'combos', label: t('catalog.tabs.combos'), children: <CombosPage /> },
      ]}
    />
  );
}
