// Depthwise convolution gradients for the WebAssembly backend (both missing from it).
// - Filter: a SIMD kernel of our own (depthwise-simd.ts) for channel multiplier 1 (the CNN's);
//   the others composed from the backend's XNNPACK depthwise convolution: with batch folded into
//   channels, dW[i,j,c,q] = Σ_n Σ_{r,t} x[n, i·d + r·s, j·d + t·s, c] · dy[n,r,t,c·m+q] is a
//   depthwise convolution of x as [1,H,W,N·C] by dy as [oH,oW,N·C,m] with stride d and dilation s,
//   followed by a sum over n.
// - Input: a SIMD kernel of our own (depthwise-simd.ts) for channel multiplier 1; the others
//   composed, a stride-1 depthwise convolution (dilation d) of the zero-dilated dy by the rotated
//   filter as [fh,fw,C·m,1], summed over the m outputs of each input channel.
import type { KernelArgs, Kernel, TF } from './compose.js';
import { composed } from './compose.js';
import { convInfo, zeroDilate } from './conv2d.js';
import { depthwiseFilterSimd, depthwiseInputSimd } from './depthwise-simd.js';

/** dW for y = depthwiseConv2d(x, W): inputs {x, dy}; attrs {strides, dilations, pad, dimRoundingMode, filterShape}. */
export function depthwiseBackpropFilter(tf: TF): Kernel {
  const viaXnnpack = composed(tf, (s, { inputs: { x, dy }, attrs }: KernelArgs) => {
    const filterShape = attrs.filterShape as number[];
    const [fh, fw, c, m] = filterShape;
    const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW, outHeight: oH, outWidth: oW, inHeight: H, inWidth: W, batchSize: n, padInfo } =
      convInfo(tf, x.shape, filterShape, attrs, true);
    const xT = s.reshape(s.transpose(x, [1, 2, 0, 3]), [1, H, W, n * c]);
    const dyT = s.reshape(s.transpose(dy, [1, 2, 0, 3]), [oH, oW, n * c, m]);
    const bottom = (fh - 1) * dH + (oH - 1) * sH + 1 - H - padInfo.top;
    const right = (fw - 1) * dW + (oW - 1) * sW + 1 - W - padInfo.left;
    const p = s.padding(xT, [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]]);
    const g = s.run('DepthwiseConv2dNative', { x: p.x, filter: dyT }, { strides: [dH, dW], dilations: [sH, sW], pad: p.pad });
    const perImage = s.reshape(g, [fh, fw, n, c * m]);
    return s.reshape(s.run('Sum', { x: perImage }, { axis: [2], keepDims: false }), filterShape);
  });
  return (args) => depthwiseFilterSimd(tf, args) ?? viaXnnpack(args);
}

/** dx for y = depthwiseConv2d(x, W): inputs {dy, filter}; attrs {strides, dilations, pad, dimRoundingMode, inputShape}. */
export function depthwiseBackpropInput(tf: TF): Kernel {
  const viaXnnpack = composed(tf, (s, { inputs: { dy, filter }, attrs }: KernelArgs) => {
    const [fh, fw, c, m] = filter.shape;
    const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW, inHeight: H, inWidth: W, batchSize: n, padInfo } =
      convInfo(tf, attrs.inputShape as number[], filter.shape, attrs, true);
    const flipped = s.reshape(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [fh, fw, c * m, 1]);
    const d = zeroDilate(s, dy, sH, sW);
    const top = (fh - 1) * dH - padInfo.top;
    const left = (fw - 1) * dW - padInfo.left;
    const p = s.padding(d, [[0, 0], [top, H + (fh - 1) * dH - top - d.shape[1]], [left, W + (fw - 1) * dW - left - d.shape[2]], [0, 0]]);
    const g = s.run('DepthwiseConv2dNative', { x: p.x, filter: flipped }, { strides: 1, dilations: [dH, dW], pad: p.pad });
    if (m === 1) return g;
    return s.run('Sum', { x: s.reshape(g, [n, H, W, c, m]) }, { axis: [4], keepDims: false });
  });
  return (args) => depthwiseInputSimd(tf, args) ?? viaXnnpack(args);
}
