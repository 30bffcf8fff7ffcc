export { NETWORK_MODES, type NetworkMode } from '../../contracts/vocabulary.js';
