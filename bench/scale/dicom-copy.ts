// A DICOM copy of a COV19-CT-DB-shaped JPEG folder, for the DICOM benches: each slice decoded as
// image-folder decodes it, its HU written as uncompressed int16 CT DICOM (bench/engine/dicom-files.ts).
import type { RecordBatch } from 'apache-arrow';
import { decodeGrey } from '../../nodes/kernels/image-folder/decode.js';
import { byteToHuTable, bytesToHuPixels, DEFAULT_WINDOW } from '../../nodes/kernels/image-folder/hu.js';
import { listScans, listSlices } from '../../nodes/kernels/image-folder/layout.js';

/** Each of the first `n` scans of `jpegRoot` as a batch of rows writeDicomSeries reads (scan_id, slice_index, height, width, pixels). */
export async function* jpegScansAsHu(jpegRoot: string, n: number): AsyncGenerator<RecordBatch> {
  const table = byteToHuTable(DEFAULT_WINDOW);
  for (const scan of (await listScans(jpegRoot, null)).slice(0, n)) {
    const rows = [];
    for (const { file, index } of await listSlices(scan.dir)) {
      const d = await decodeGrey(file);
      if ('reason' in d) throw new Error(`${file}: ${d.reason}`);
      rows.push({ scan_id: scan.scanId, slice_index: index, height: d.height, width: d.width, pixels: bytesToHuPixels(d.grey, table) });
    }
    yield rows as unknown as RecordBatch;
  }
}
