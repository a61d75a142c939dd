export { TerminalService, REPLAY_CHARS } from './service';
export { TerminalErrors } from './errors';
export { FLOW } from './protocol';
