/** The Terminal area: local shells, SSH and serial consoles in tabs, their sessions living on the station. */
export { TerminalPage } from './TerminalPage';
