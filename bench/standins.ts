/** The C stand-ins of the test suite, built for the bench scripts too. */
export { fakeAmdSmi, fakeNvml, fakeZe, NO_GPU_ENV } from '../test/monitor/standins.js';
