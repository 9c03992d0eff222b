// The lung-area graph of docs/lung-area.md over a folder of scans, as the scale benches run it:
// `source` reads the folder (image-folder for JPEG, dicom-series for DICOM); `windowsOnly` stores the
// windows alone (lung-window.yaml's shape: every pixel node `cache: false`), else the source, the
// crops and the masks are stored too.
export function lungGraphYaml(name: string, folder: string, o: { source?: 'image-folder' | 'dicom-series'; windowsOnly?: boolean } = {}): string {
  const stored = o.windowsOnly ? ', cache: false' : '';
  return `name: ${name}
nodes:
  scans:  { kind: ${o.source ?? 'image-folder'}, params: { path: ${JSON.stringify(folder)} }${stored} }
  crop:   { kind: cropper, in: { slices: scans }${stored} }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, params: { t: -400 }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask }${stored} }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: 0.5 } }
`;
}
