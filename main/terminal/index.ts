export { TerminalService } from './service';
export { REPLAY_CHARS } from './output-log';
export { TerminalErrors } from './errors';
export { FLOW } from './protocol';
