export { JobService, JobErrors, type JobContext, type JobKind, type JobServiceOptions } from './service';
export { jobsSchema } from './schema';
