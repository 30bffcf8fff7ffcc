export { discoVersion } from '../shared/version.js';
