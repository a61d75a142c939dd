/** The Clusters area: the clusters this station knows, and each one's live console. */
export { ClustersPage } from './ClustersPage';
