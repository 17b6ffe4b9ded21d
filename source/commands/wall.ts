// `krazy-tui wall [DEVICE...]`: the read-only monitoring wall; checks arguments and devices, then loads blessed lazily.
import {DeviceError} from '../core/device-error.js';
import {registryOptionsFrom} from '../core/device-registry.js';
import {createFleetStore, focusOptions, type FleetStore} from '../core/fleet-store.js';
import {readSettings} from '../core/settings.js';
import {colorWanted} from '../display/vocabulary.js';
import {parseCommandArgs, UsageError, type Command} from './command-io.js';
import {deviceFlags, reportProblems, resolveFleet, writeLine} from './device-options.js';

const help = `Usage: krazy-tui wall [DEVICE...] [--page-seconds N] [--poll-interval SECONDS] [--prometheus URL|off]
                      [--password-file FILE] [--timeout SECONDS]

A read-only wall of many devices at once (all known devices when none is given): per device a chart of
memory in use (and CPU when the node exporter answers), /perm usage, its services and its health, and
the newest stderr lines across the fleet. Up to 12 devices share a page; more rotate every
--page-seconds (default 15). Nothing on the wall changes a device.
--prometheus URL (default: the saved prometheusUrl setting; off: none): the charts reach back an hour,
read from that Prometheus (the exporter's series for each device's name), the newest samples still polled;
its firing alerts are shown on the tiles and counted in the title.

Keys: q quits, p pauses the rotation, arrows change the page, ? lists the keys.
Needs a terminal; for scripts use krazy-tui status.`;

function positiveSeconds(flag: string, text: string | undefined): number | undefined {
	if (text === undefined) {
		return undefined;
	}

	const seconds = Number(text);
	if (!Number.isFinite(seconds) || seconds <= 0) {
		throw new UsageError(`wall: ${flag} wants a number of seconds above 0, not ${JSON.stringify(text)}`);
	}

	return seconds;
}

export const wallCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('wall', args, {
		...deviceFlags,
		'page-seconds': {type: 'string'},
		'poll-interval': {type: 'string'},
		prometheus: {type: 'string'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const pageSeconds = positiveSeconds('--page-seconds', values['page-seconds']) ?? 15;
	const pollSeconds = positiveSeconds('--poll-interval', values['poll-interval']);
	const {targets, problems: deviceProblems, timeoutMs: timeout} = await resolveFleet('wall', positionals, values, io);
	reportProblems(io, deviceProblems);

	const input = process.stdin;
	if (!io.stdoutIsTty || !input.isTTY) {
		writeLine(io.stderr, 'krazy-tui: the wall needs a terminal; for a one-off look from a script use "krazy-tui status"');
		return 1;
	}

	const {settings, problems} = await readSettings(registryOptionsFrom(io.env));
	reportProblems(io, problems);

	const pollIntervalMs = pollSeconds === undefined ? settings.pollIntervalMs : Math.round(pollSeconds * 1000);
	const [{runWall}, {FleetStderr}] = await Promise.all([
		import('../wall/wall-screen.js'),
		import('../wall/fleet-stderr.js'),
	]);
	const store = createFleetStore({
		targets,
		pollIntervalMs,
		readonly: true,
		timeoutMs: timeout,
		// Over a big fleet the devices on the page are polled at the interval, the others less often.
		...focusOptions(targets.length),
	});
	// --prometheus (or the saved setting): the charts reach back an hour through Prometheus (wall/wall-prometheus.ts).
	const prometheusUrl = values.prometheus === 'off' ? null : values.prometheus ?? settings.prometheusUrl;
	const shown = prometheusUrl === null ? undefined : await prometheusHistory(prometheusUrl, store, timeout);
	const stderr = new FleetStderr(store);
	const unsubscribe = store.subscribe(snapshot => {
		stderr.sync(snapshot);
	});
	store.start();
	try {
		shown?.start();
		await runWall({
			store: shown ?? store,
			alerts: shown?.alerts,
			stderr,
			color: colorWanted(io.env, settings.theme),
			pageSeconds,
			output: io.stdout as NodeJS.WriteStream,
			input,
			signal: io.signal,
			terminal: io.env.TERM,
			focus(devices) {
				store.setFocus(devices);
			},
		});
	} catch (error) {
		throw new DeviceError('krazy-tui', 'config', `the wall stopped: ${error instanceof Error ? error.message : String(error)}`);
	} finally {
		unsubscribe();
		shown?.stop();
		stderr.close();
		store.stop();
		// blessed leaves stdin flowing; the process must be able to end.
		input.pause();
	}

	return 0;
};

/**
 * The store the wall draws with Prometheus's hour of history in its charts (one device's history read after another)
 * and its alerts (read every 15 s) on the tiles and in the title.
 */
async function prometheusHistory(url: string, store: FleetStore, timeoutMs: number | undefined) {
	const [{PrometheusClient}, {deviceHistory}, {readFleetView}, {prometheusWallStore}] = await Promise.all([
		import('../core/prometheus/prometheus-client.js'),
		import('../core/prometheus/history.js'),
		import('../core/prometheus/fleet-view.js'),
		import('../wall/wall-prometheus.js'),
	]);
	const client = new PrometheusClient(url, {timeoutMs});
	return prometheusWallStore(store, async device => deviceHistory(client, {device: device.name, window: '1h'}), {
		readAlerts: async () => readFleetView(client),
	});
}
