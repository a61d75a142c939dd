export { Store, StoreErrors, type Db, type Migration, type ModuleSchema } from './database';
