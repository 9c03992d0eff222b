// Conv2D gradients for the WebAssembly backend, composed from its XNNPACK convolution.
// - Conv2DBackpropFilter (missing from the backend): with the roles of batch and channels swapped,
//   the filter gradient is itself a convolution: dW[i,j,c,o] = Σ_{r,t,n} xᵀ[c, i+r·s, j+t·s, n] · dyᵀ[r,t,n,o],
//   i.e. Conv2D(x as [C,H,W,N], filter dy as [oH,oW,N,O], dilation = stride) → [C,fh,fw,O].
// - Conv2DBackpropInput (shipped as a scalar C loop): the transposed convolution is a stride-1
//   Conv2D of dy with zeros inserted between its rows and columns (stride − 1 of them) and the
//   filter rotated by 180° with in/out channels swapped.
import type { Attrs, Info, KernelArgs, Kernel, Steps, TF } from './compose.js';
import { composed } from './compose.js';

type InfoArgs = Parameters<TF['backend_util']['computeConv2DInfo']>;

/** Output size, padding, strides and dilations of a convolution described by kernel attributes. */
export function convInfo(tf: TF, inShape: number[], filterShape: number[], attrs: Attrs, depthwise = false) {
  return tf.backend_util.computeConv2DInfo(
    inShape as InfoArgs[0], filterShape as InfoArgs[1], attrs.strides as InfoArgs[2], (attrs.dilations ?? 1) as InfoArgs[3],
    attrs.pad as InfoArgs[4], attrs.dimRoundingMode as InfoArgs[5], depthwise);
}

/** Insert (sH − 1) zero rows after each row and (sW − 1) zero columns after each column of NHWC `x`. */
export function zeroDilate(s: Steps, x: Info, sH: number, sW: number): Info {
  const [n, h, w, c] = x.shape;
  let out = x;
  if (sW > 1) {
    out = s.run('PadV2', { x: s.reshape(out, [n * h, w, 1, c]) }, { paddings: [[0, 0], [0, 0], [0, sW - 1], [0, 0]], constantValue: 0 });
  }
  if (sH > 1) {
    out = s.run('PadV2', { x: s.reshape(out, [n, h, 1, w * sW * c]) }, { paddings: [[0, 0], [0, 0], [0, sH - 1], [0, 0]], constantValue: 0 });
  }
  return s.reshape(out, [n, h * sH, w * sW, c]);
}

/** dW for y = conv2d(x, W): inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilter(tf: TF): Kernel {
  return composed(tf, (s, { inputs: { x, dy }, attrs }: KernelArgs) => {
    if (attrs.dataFormat === 'NCHW') {
      throw new Error("Conv2DBackpropFilter on the wasm backend supports NHWC only (its Conv2D has no NCHW either): build the model with dataFormat 'channelsLast'");
    }
    const { strideHeight: sH, strideWidth: sW, outHeight: oH, outWidth: oW, inHeight: H, inWidth: W, filterHeight: fh, filterWidth: fw, padInfo } =
      convInfo(tf, x.shape, attrs.filterShape as number[], attrs);
    const xT = s.transpose(x, [3, 1, 2, 0]);
    const dyT = s.transpose(dy, [1, 2, 0, 3]);
    // Pad so that the dilated dy kernel ((oH−1)·sH + 1 rows) fits exactly fh times; crop if it fits more.
    const bottom = fh + (oH - 1) * sH - H - padInfo.top;
    const right = fw + (oW - 1) * sW - W - padInfo.left;
    const p = s.padding(xT, [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]]);
    const g = s.run('Conv2D', { x: p.x, filter: dyT }, { strides: 1, dilations: [sH, sW], pad: p.pad, dataFormat: 'NHWC' });
    return s.transpose(g, [1, 2, 0, 3]);
  });
}

/** dx for y = conv2d(x, W): inputs {dy, filter}; attrs {strides, pad, dataFormat, dimRoundingMode, inputShape}. */
export function conv2dBackpropInput(tf: TF, shipped: Kernel): Kernel {
  const fast = composed(tf, (s, { inputs: { dy, filter }, attrs }: KernelArgs) => {
    const { strideHeight: sH, strideWidth: sW, filterHeight: fh, filterWidth: fw, inHeight: H, inWidth: W, padInfo } =
      convInfo(tf, attrs.inputShape as number[], filter.shape, attrs);
    const flipped = s.transpose(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
    const d = zeroDilate(s, dy, sH, sW);
    const top = fh - 1 - padInfo.top;
    const left = fw - 1 - padInfo.left;
    const p = s.padding(d, [[0, 0], [top, H + fh - 1 - top - d.shape[1]], [left, W + fw - 1 - left - d.shape[2]], [0, 0]]);
    return s.run('Conv2D', { x: p.x, filter: flipped }, { strides: 1, dilations: 1, pad: p.pad, dataFormat: 'NHWC' });
  });
  return (args) => (args.attrs.dataFormat === 'NCHW' ? shipped(args) : fast(args));
}
