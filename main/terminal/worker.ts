/** What the native I/O process needs of the terminal (its entry imports only this). */
export { WorkerSessions } from './sessions';
export { OutputSockets, type HandedRequest } from './output-socket';
export { TERMINAL_EVENT, type TerminalWorkerEvent, type WorkerOpen } from './protocol';
