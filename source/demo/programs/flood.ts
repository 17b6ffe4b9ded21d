// /user/flood in the demo: numbered lines at a steady rate (-rate=N lines/s, default 20000), to test dropping and batching.
const rateFlag = process.argv.slice(2).find(argument => argument.startsWith('-rate='));
const rate = Math.max(1, Number(rateFlag?.slice('-rate='.length)) || 20_000);
const start = performance.now();
let written = 0;
let waitingForDrain = false;

function tick(): void {
	if (waitingForDrain) {
		return;
	}

	// Behind by more than a second (a full pipe), the program skips ahead rather than bursting: numbering shows the gap.
	const due = Math.floor(((performance.now() - start) / 1000) * rate);
	written = Math.max(written, due - rate);
	let batch = '';
	while (written < due) {
		written++;
		batch += `flood: line ${written} of a steady ${rate} lines per second\n`;
	}

	if (batch !== '' && !process.stdout.write(batch)) {
		waitingForDrain = true;
		process.stdout.once('drain', () => {
			waitingForDrain = false;
		});
	}
}

setInterval(tick, 10);
process.stdout.on('error', () => process.exit(0));
// The supervisor keeps stdin open: EOF means the demo device is gone.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
