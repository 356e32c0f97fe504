import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, metrics and tracer per container, configured by the POWERTOOLS_* variables that
 * ServiceFunction sets (service name, namespace, log level). Locally the same objects log JSON
 * to the console and keep metrics in EMF form.
 */
export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();
