// The lung-area graph of docs/lung-area.md over a JPEG folder, as the scale benches run it.
export function lungGraphYaml(name: string, folder: string): string {
  return `name: ${name}
nodes:
  scans:  { kind: image-folder, params: { path: ${JSON.stringify(folder)} } }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, params: { t: -400 }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: 0.5 } }
`;
}
