// For bench/flash.ts: the CLI's writer with its SHA-256 switched off (a diagnostic, not a mode users get), as a whole
// process like the rest of that bench, so the write ratio can be told apart from the hash's share of a small machine's
// cores.   node --import=tsx bench/_flash-writer-nohash.ts IMAGE DEVICE
import {alignedBuffers} from '../source/core/flash/aligned-memory.js';
import {FlashDevice} from '../source/core/flash/flash-device.js';
import {inspectImage} from '../source/core/flash/image-source.js';
import {writeImage} from '../source/core/flash/image-writer.js';

const [image, device] = process.argv.slice(2);
if (!image || !device) {
	console.error('usage: _flash-writer-nohash.ts IMAGE DEVICE');
	process.exit(2);
}

const MiB = 1024 * 1024;
const card = await FlashDevice.open(device);
try {
	const noHash = () => ({update: async () => undefined, digest: async () => ['', ''], close: async () => undefined});
	await writeImage(await inspectImage(image), card, {buffers: alignedBuffers(3, 2 * MiB), startHasher: noHash});
} finally {
	await card.close();
}
