/** Activation: activating boxes, the seat ledger, delegation and label printing. */
export { ActivationPage } from './ActivationPage';
export { BatchSeatsSummary } from './seats';
