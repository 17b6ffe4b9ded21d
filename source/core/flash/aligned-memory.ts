// Page-aligned buffers for O_DIRECT: Node's own Buffers come from malloc (16-byte aligned), WebAssembly memory starts on a page and can be shared.

const wasmPage = 64 * 1024;

/** The one piece of WebAssembly used here (TypeScript's ES libs do not declare it). */
type WasmMemoryConstructor = new (descriptor: {initial: number; maximum?: number; shared?: boolean}) => {buffer: ArrayBuffer | SharedArrayBuffer};
const WasmMemory = (globalThis as unknown as {WebAssembly: {Memory: WasmMemoryConstructor}}).WebAssembly.Memory;

/**
 * `count` buffers of `size` bytes (a multiple of 64 KiB), each starting on a page boundary, over one SharedArrayBuffer:
 * a worker thread can read them in place (see chunk-hasher.ts).
 */
export function alignedBuffers(count: number, size: number): Buffer[] {
	if (size % wasmPage !== 0) {
		throw new RangeError(`aligned buffers come in multiples of ${wasmPage} bytes, not ${size}`);
	}

	const pages = (count * size) / wasmPage;
	const memory = new WasmMemory({initial: pages, maximum: pages, shared: true});
	return Array.from({length: count}, (_, index) => Buffer.from(memory.buffer, index * size, size));
}

/** A fixed set of aligned buffers handed out and given back; taking waits while all are out. */
export class AlignedPool {
	private readonly free: Buffer[];
	private readonly waiting: Array<(buffer: Buffer) => void> = [];

	/** New buffers, or (to keep a process's memory flat) ones handed in. */
	constructor(buffers: Buffer[]) {
		this.free = [...buffers];
	}

	async take(): Promise<Buffer> {
		const buffer = this.free.pop();
		if (buffer) {
			return buffer;
		}

		return new Promise(resolve => this.waiting.push(resolve));
	}

	give(buffer: Buffer): void {
		const next = this.waiting.shift();
		if (next) {
			next(buffer);
		} else {
			this.free.push(buffer);
		}
	}
}
