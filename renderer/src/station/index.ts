/** The flashing station: runs, the live grid of boxes, and adding boxes by label, SSH scan or serial port. */
export { StationPage } from './StationPage';
