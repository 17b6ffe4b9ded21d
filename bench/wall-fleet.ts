// A demo fleet in its own process for the wall bench: prints one JSON line with the device URLs, serves until told to stop.
// `light` after the count: the light fleet (one process, simulated services, one password), for hundreds of devices.
import {startDemoFleet} from '../source/demo/demo-device.js';
import {startLightFleet} from '../source/demo/light-fleet.js';

const count = Number(process.argv[2] ?? 12);
const light = process.argv[3] === 'light';
const lightPassword = 'bench-light-fleet';
let stopFleet: () => Promise<unknown>;
if (light) {
	const fleet = await startLightFleet({count, password: lightPassword});
	stopFleet = async () => fleet.stop();
	process.stdout.write(JSON.stringify({urls: fleet.devices.map(device => device.baseUrl), hostnames: fleet.devices.map(device => device.hostname), password: lightPassword}) + '\n');
} else {
	const fleet = await startDemoFleet(count);
	stopFleet = async () => Promise.all(fleet.map(async device => device.stop()));
	process.stdout.write(JSON.stringify({urls: fleet.map(device => device.url), hostnames: fleet.map(device => device.hostname)}) + '\n');
}

let stopping = false;
const stop = async () => {
	if (stopping) {
		return;
	}

	stopping = true;
	await stopFleet();
	process.exit(0);
};

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The bench holds our stdin: when it goes away, however it ended, so does the fleet.
process.stdin.on('end', stop);
process.stdin.resume();
