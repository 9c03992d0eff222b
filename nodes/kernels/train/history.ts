// The record of one finished epoch, and the History table of a training (nodes/tables.ts): what
// fit.ts keeps, its checkpoints store and the training nodes output. One row per epoch in order,
// `best` 1 on the epoch whose weights are the output and 0 elsewhere.
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import { History } from '../../tables.js';

/** One finished epoch, as the history table stores it (validation columns null without validation data). */
export interface EpochRecord {
  epoch: number;
  train_loss: number;
  val_loss: number | null;
  val_f1: number | null;
  val_accuracy: number | null;
  seconds: number;
}

/** The History table of `history`, epoch `bestEpoch` marked best. */
export function historyBatch(history: readonly EpochRecord[], bestEpoch: number): RecordBatch {
  return makeBatch(History, {
    epoch: history.map((r) => r.epoch), train_loss: history.map((r) => r.train_loss), val_loss: history.map((r) => r.val_loss),
    val_f1: history.map((r) => r.val_f1), val_accuracy: history.map((r) => r.val_accuracy), seconds: history.map((r) => r.seconds),
    best: history.map((r) => (r.epoch === bestEpoch ? 1 : 0)),
  });
}
