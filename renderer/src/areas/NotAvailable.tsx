import { Result } from 'antd';
import { useTranslation } from 'react-i18next';

export type PlannedArea = 'clusters';

/** An area whose capability has not been built: says so, shows no data. */
export function NotAvailable({ area }: { area: PlannedArea }) {
  const { t } = useTranslation();
  return (
    <Result
      status="info"
      data-testid={`not-available-${area}`}
      title={t('notAvailable.title')}
      subTitle={
        <>
          <div>{t(`notAvailable.${area}`)}</div>
          <div>{t('notAvailable.subtitle')}</div>
        </>
      }
    />
  );
}
