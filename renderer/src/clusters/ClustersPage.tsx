import { ArrowLeftOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Result, Spin } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { useAreaPath } from '../shell/location';
import { ConsolePage, isWorkloadKind, VIEWS, type View } from './console/ConsolePage';
import { ClusterList } from './list/ClusterList';

/**
 * The Clusters area: "#/clusters" lists the clusters; "#/clusters/<id>/<view>"
 * is one cluster's console (a new console, with its own watch, per cluster).
 */
export function ClustersPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const [id, view, sub] = useAreaPath();
  const clusters = useQuery({ ...orpc.clusters.list.queryOptions(), enabled: id !== undefined });
  if (id === undefined) return <ClusterList />;
  if (clusters.error) return <ProblemAlert error={clusters.error} />;
  if (!clusters.data) return <Spin />;
  const cluster = clusters.data.find((c) => c.id === id);
  if (!cluster)
    return (
      <Result
        status="warning"
        title={t('clusters.console.notFound')}
        data-testid="cluster-not-found"
        extra={
          <Button icon={<ArrowLeftOutlined />} onClick={() => goTo('clusters')}>
            {t('clusters.console.back')}
          </Button>
        }
      />
    );
  const shown: View = (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'nodes';
  return <ConsolePage key={cluster.id} cluster={cluster} view={shown} workloadKind={isWorkloadKind(sub) ? sub : 'deployments'} />;
}
