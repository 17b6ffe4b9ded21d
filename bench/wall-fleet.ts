// A demo fleet in its own process for the wall bench: prints one JSON line with the device URLs, serves until told to stop.
import {startDemoFleet} from '../source/demo/demo-device.js';

const count = Number(process.argv[2] ?? 12);
const fleet = await startDemoFleet(count);
process.stdout.write(JSON.stringify({urls: fleet.map(device => device.url), hostnames: fleet.map(device => device.hostname)}) + '\n');

let stopping = false;
const stop = async () => {
	if (stopping) {
		return;
	}

	stopping = true;
	await Promise.all(fleet.map(async device => device.stop()));
	process.exit(0);
};

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The bench holds our stdin: when it goes away, however it ended, so does the fleet.
process.stdin.on('end', stop);
process.stdin.resume();
