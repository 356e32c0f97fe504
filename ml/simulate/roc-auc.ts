// The simulator reports its oracle's ROC-AUC with the same function the model evaluation uses.
export { rocAuc } from '../eval/ranking.js';
