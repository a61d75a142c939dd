export { ModelService, ModelErrors } from './models';
export { catalogSchema } from './schema';
export { diffSpecs } from './diff';
export { AppService, AppErrors, type Application, type AppKind, type AppVersion } from './apps';
export { ComboService, ComboErrors, type Combo, type ComboProblem } from './combos';
export { CatalogDocuments, DocumentErrors } from './document';
