// A service's stdout or stderr as the init keeps it: split on \n only, the last 100 lines, and live readers with bounded queues.

/** Lines are kept as latin1 strings so every byte the program wrote goes back out unchanged. */
export type RawLine = string;

/** Someone following the stream; offer() must not block (the ring drops for full readers itself). */
export type LineReader = {
	offer(line: RawLine): void;
};

export const ringCapacity = 100;

export class LineRing {
	private readonly slots: RawLine[] = [];
	private next = 0;
	private remainder = '';
	private readonly readers = new Set<LineReader>();

	/** Bytes as the program wrote them; a partial line waits for its \n (also across restarts, as in the init). */
	write(chunk: Buffer | string): void {
		let text = this.remainder + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
		let newline = text.indexOf('\n');
		while (newline !== -1) {
			this.push(text.slice(0, newline));
			text = text.slice(newline + 1);
			newline = text.indexOf('\n');
		}

		this.remainder = text;
	}

	/** A line of the init's own (UTF-8 text). */
	writeText(line: string): void {
		this.write(Buffer.from(`${line}\n`, 'utf8'));
	}

	/** Oldest first, at most 100. */
	lines(): RawLine[] {
		if (this.slots.length < ringCapacity) {
			return [...this.slots];
		}

		return [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
	}

	last(): RawLine | undefined {
		if (this.slots.length === 0) {
			return undefined;
		}

		return this.slots[(this.next + this.slots.length - 1) % this.slots.length];
	}

	/** Replays the ring into the reader, then hands it every new line; returns the unsubscribe function. */
	follow(reader: LineReader): () => void {
		for (const line of this.lines()) {
			reader.offer(line);
		}

		this.readers.add(reader);
		return () => {
			this.readers.delete(reader);
		};
	}

	/** A fresh boot: nothing kept. Readers stay attached (their connections are closed separately). */
	clear(): void {
		this.slots.length = 0;
		this.next = 0;
		this.remainder = '';
	}

	private push(line: RawLine): void {
		if (this.slots.length < ringCapacity) {
			this.slots.push(line);
			this.next = this.slots.length % ringCapacity;
		} else {
			this.slots[this.next] = line;
			this.next = (this.next + 1) % ringCapacity;
		}

		for (const reader of this.readers) {
			reader.offer(line);
		}
	}
}
