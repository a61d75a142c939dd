export { ModelService, ModelErrors, catalogSchema, diffSpecs } from './models';
