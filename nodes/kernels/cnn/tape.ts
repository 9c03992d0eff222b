// Reverse-mode differentiation written out per layer instead of TensorFlow.js's tape. Its tape keeps
// every gradient and every saved tensor until the whole backward pass ends, and a custom gradient's
// intermediates too; EfficientNet-b0 at 224² then needs over 4 GB, the WebAssembly backend's
// limit. Here each layer saves what its backward step needs, and the step releases it, together
// with the incoming gradient, as soon as it has run.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';

type T = TFJS.Tensor;
/** Gradient of the layer's output → gradient of its input (null when its input needs none; the same tensor passes it on). */
export type Step = (dy: T) => T | null;

export class Tape {
  private readonly steps: Step[] = [];
  private readonly saved = new Set<T>();
  /** Parameter name → gradient (kept; the caller disposes them). */
  readonly grads = new Map<string, T>();

  constructor(private readonly tf: TF) {}

  /**
   * Keep `t` (no copy: the WebAssembly backend's clone copies) for one backward step, which
   * releases it. A tensor is saved by one layer only; a second owner needs its own copy.
   */
  save<X extends T>(t: X): X {
    if (this.saved.has(t)) throw new Error('CNN tape: a tensor was saved twice; save a copy for the second owner');
    this.saved.add(this.tf.keep(t));
    return t;
  }

  /** Whether a backward step holds `t`. */
  holds(t: T): boolean {
    return this.saved.has(t);
  }

  release(...ts: T[]): void {
    for (const t of ts) {
      this.saved.delete(t);
      t.dispose();
    }
  }

  push(step: Step): void {
    this.steps.push(step);
  }

  /** Record the gradient of parameter `name` (called inside a step). */
  grad(name: string, g: T): void {
    const old = this.grads.get(name);
    this.grads.set(name, this.tf.keep(old ? this.tf.add(old, g) : g));
    old?.dispose();
  }

  /** Run the steps last-first from the loss gradient `dy` (consumed). */
  backward(dy: T): void {
    let g: T | null = dy;
    while (this.steps.length) {
      const step = this.steps.pop()!;
      const input: T | null = g;
      if (!input) throw new Error('CNN backward pass: a step that needs an incoming gradient came after the input layer');
      g = this.tf.tidy(() => step(input) ?? undefined) ?? null;
      if (g !== input) input.dispose();
    }
    g?.dispose();
  }

  /** Release gradients and anything still saved (after backward, or when a step failed). */
  dispose(): void {
    for (const t of [...this.grads.values(), ...this.saved]) t.dispose();
    this.grads.clear();
    this.saved.clear();
    this.steps.length = 0;
  }
}
