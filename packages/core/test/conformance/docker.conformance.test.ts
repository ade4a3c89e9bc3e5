import { dockerHarness } from './docker-harness.js';
import { runtimeConformance } from './runtime-conformance.js';

runtimeConformance('DockerRuntime', dockerHarness);
