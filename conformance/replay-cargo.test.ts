import { replaySuite } from './replay/suite.js';

replaySuite('cargo');
