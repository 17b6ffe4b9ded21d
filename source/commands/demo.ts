// `krazy-tui demo --serve`: runs embedded demo devices, prints how to reach them, serves until SIGINT/SIGTERM.
import {readFile} from 'node:fs/promises';
import {UsageError, parseCommandArgs, type Command, type CommandIo} from './command-io.js';
import type {DemoArchives} from '../demo/demo-archives.js';
import type {DemoDevice, DemoDeviceOptions, ExtraService} from '../demo/demo-device.js';

const usage = `usage: krazy-tui demo --serve [--json] [--port N] [--host H] [--password-file F] [--count N] [--flood-rate N] [--extra weird,flood,late,exit0] [--ssh-port N] [--state-dir DIR]
       krazy-tui demo --serve --light --count N [--json] [--port N] [--host H] [--password-file F]
--light: the light fleet, for hundreds of devices: one process serves them all, the demo's HTTP API over simulated
services (no child processes, no breakglass SSH).`;

function positiveInteger(flag: string, text: string | undefined, allowZero = false): number | undefined {
	if (text === undefined) {
		return undefined;
	}

	const value = Number(text);
	if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
		throw new UsageError(`demo: --${flag} wants a ${allowZero ? 'non-negative' : 'positive'} integer, not ${JSON.stringify(text)}`);
	}

	return value;
}

function describe(device: DemoDevice, archives: DemoArchives): string {
	const quotedUrl = `'${device.url.replaceAll("'", "'\\''")}'`;
	return [
		`gokrazy demo device "${device.hostname}" is up at ${device.baseUrl}`,
		`  user gokrazy, password ${device.password}`,
		`  look at it:  krazy-tui status ${quotedUrl}`,
		`  breakglass:  ssh on ${device.ssh.host}:${device.ssh.port} (stopped until started), authorized keys in ${device.authorizedKeysPath}`,
		`               krazy-tui shell ${quotedUrl} --ssh-port ${device.ssh.port}`,
		`  state:       ${device.stateDir}`,
		`  update it:   krazy-tui update ${quotedUrl} --gaf ${archives.good}   (a next build that adds /user/hello)`,
		`               krazy-tui update ${quotedUrl} --gaf ${archives.bad}   (one whose /user/golink crash-loops; then: krazy-tui rollback)`,
		'',
	].join('\n');
}

export const demoCommand: Command = async (args, io) => {
	const {values} = parseCommandArgs('demo', args, {
		serve: {type: 'boolean'},
		json: {type: 'boolean'},
		port: {type: 'string'},
		host: {type: 'string'},
		'password-file': {type: 'string'},
		count: {type: 'string'},
		'flood-rate': {type: 'string'},
		extra: {type: 'string'},
		'ssh-port': {type: 'string'},
		'state-dir': {type: 'string'},
		light: {type: 'boolean'},
		help: {type: 'boolean', short: 'h'},
	});
	if (values.help) {
		io.stdout.write(`${usage}\n`);
		return 0;
	}

	if (!values.serve) {
		throw new UsageError(`demo: this entry point only serves the demo device (--serve); the dashboard on it is \`krazy-tui demo\`\n${usage}`);
	}

	const {extraServiceNames} = await import('../demo/demo-services.js');
	const extras = (values.extra ?? '')
		.split(',')
		.map(name => name.trim())
		.filter(name => name !== '');
	for (const name of extras) {
		if (!extraServiceNames.includes(name as ExtraService)) {
			throw new UsageError(`demo: unknown --extra service ${JSON.stringify(name)} (known: ${extraServiceNames.join(', ')})`);
		}
	}

	const count = positiveInteger('count', values.count) ?? 1;
	let password: string | undefined;
	if (values['password-file'] !== undefined) {
		try {
			password = (await readFile(values['password-file'], 'utf8')).replace(/\r?\n$/, '');
		} catch (error) {
			io.stderr.write(`demo: cannot read the password file: ${(error as Error).message}\n`);
			return 1;
		}
	}

	const options: DemoDeviceOptions = {
		host: values.host,
		port: positiveInteger('port', values.port, true),
		password,
		sshPort: positiveInteger('ssh-port', values['ssh-port'], true),
		stateDir: values['state-dir'],
		floodRate: positiveInteger('flood-rate', values['flood-rate']),
		extraServices: extras as ExtraService[],
	};

	if (values.light) {
		const unsupported = (['extra', 'flood-rate', 'ssh-port', 'state-dir'] as const).find(flag => values[flag] !== undefined);
		if (unsupported) {
			throw new UsageError(`demo: --${unsupported} is not available in the light fleet (its services are simulated)`);
		}

		return serveLightFleet(count, options, values.json ?? false, io);
	}

	const {startDemoDevice, startDemoFleet} = await import('../demo/demo-device.js');
	let devices: DemoDevice[];
	try {
		devices = count === 1 ? [await startDemoDevice(options)] : await startDemoFleet(count, options);
	} catch (error) {
		io.stderr.write(`demo: cannot start the demo device: ${(error as Error).message}\n`);
		return 1;
	}

	const [{makeDemoArchives}, {sbomJson}, {updateRecordsAt}, {registryOptionsFrom}] = await Promise.all([
		import('../demo/demo-archives.js'),
		import('../demo/demo-build.js'),
		import('../core/update/update-records.js'),
		import('../core/device-registry.js'),
	]);
	for (const device of devices) {
		// Made on the spot from what the device runs now, so the good one is always a next build.
		const archives = await makeDemoArchives(device);
		// krazy-tui made the running build, so it knows its SBOM: an update can then list the package changes.
		await updateRecordsAt(registryOptionsFrom(io.env)).rememberSbom(sbomJson(archives.runningSbom)).catch(() => undefined);
		io.stdout.write(
			values.json
				? `${JSON.stringify({
						url: device.url,
						baseUrl: device.baseUrl,
						password: device.password,
						ssh: device.ssh,
						authorizedKeys: device.authorizedKeysPath,
						hostname: device.hostname,
						stateDir: device.stateDir,
						archives: {good: archives.good, bad: archives.bad},
					})}\n`
				: describe(device, archives),
		);
	}

	if (!values.json) {
		io.stdout.write('Serving until Ctrl-C.\n');
	}

	if (!io.signal.aborted) {
		await new Promise(resolve => {
			io.signal.addEventListener('abort', resolve, {once: true});
		});
	}

	await Promise.all(devices.map(device => device.stop()));
	return 0;
};

async function serveLightFleet(count: number, options: DemoDeviceOptions, json: boolean, io: CommandIo): Promise<number> {
	const {startLightFleet} = await import('../demo/light-fleet.js');
	let fleet: Awaited<ReturnType<typeof startLightFleet>>;
	try {
		fleet = await startLightFleet({count, host: options.host, port: options.port, password: options.password});
	} catch (error) {
		io.stderr.write(`demo: cannot start the light fleet: ${(error as Error).message}\n`);
		return 1;
	}

	io.stdout.write(fleet.devices.map(device => json
		? `${JSON.stringify({url: device.url, baseUrl: device.baseUrl, password: device.password, hostname: device.hostname, light: true})}\n`
		: `light demo device "${device.hostname}" at ${device.baseUrl}, password ${device.password}\n`).join(''));
	if (!json) {
		io.stdout.write(`${count} light demo device(s): simulated services, no breakglass. Serving until Ctrl-C.\n`);
	}

	if (!io.signal.aborted) {
		await new Promise(resolve => {
			io.signal.addEventListener('abort', resolve, {once: true});
		});
	}

	await fleet.stop();
	return 0;
}
