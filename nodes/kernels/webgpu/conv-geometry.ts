// The geometry of a 2-D convolution (NHWC), from TensorFlow.js's own computeConv2DInfo, as the i32
// uniforms our convolution programs read (conv2d.ts, depthwise.ts).
import type * as TFJS from '@tensorflow/tfjs';
import { NotCovered, type Args } from './program.js';

type ConvInfo = TFJS.backend_util.Conv2DInfo;

/** The geometry as i32 uniforms (in = x, out = y, f = filter). */
export function sizes(c: ConvInfo): Record<string, number> {
  return {
    inH: c.inHeight, inW: c.inWidth, inC: c.inChannels, outH: c.outHeight, outW: c.outWidth, outC: c.outChannels,
    fH: c.filterHeight, fW: c.filterWidth, sH: c.strideHeight, sW: c.strideWidth, dH: c.dilationHeight, dW: c.dilationWidth,
    padT: c.padInfo.top, padL: c.padInfo.left,
  };
}

export function info(util: Args['util'], xShape: number[], filterShape: number[], attrs: Record<string, unknown> | undefined, depthwise: boolean): ConvInfo {
  if (attrs?.dataFormat === 'NCHW') throw new NotCovered('NCHW');
  return util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs!.strides as number, (attrs!.dilations as number) ?? 1, attrs!.pad as 'same', attrs!.dimRoundingMode as 'floor' | undefined, depthwise);
}

