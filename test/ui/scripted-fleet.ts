// A fleet for component tests: the real fleet store over clients that answer with a real device's captured JSON and HTML.
import {parseHtmlOverview, parseOverview} from '../../source/core/overview-parser.js';
import {DeviceError} from '../../source/core/device-error.js';
import type {DeviceOverview, HtmlOverview, LogLine, ServiceStatus} from '../../source/core/device-model.js';
import type {DeviceTarget} from '../../source/core/device-target.js';
import type {LogEvent, LogStream} from '../../source/core/log-stream.js';
import {createFleetStore, type FleetClient, type FleetStore, type FleetStoreOptions} from '../../source/core/fleet-store.js';
import {readCapture} from '../helpers/captures.js';

/** A log stream the test feeds by hand. */
export class ScriptedLogStream {
	closed = false;
	readonly #listeners = new Set<(event: LogEvent) => void>();

	emitEvent(event: LogEvent): void {
		for (const listener of this.#listeners) {
			listener(event);
		}
	}

	lines(lines: LogLine[]): void {
		this.emitEvent({type: 'lines', lines});
	}

	on(listener: (event: LogEvent) => void): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	close(): void {
		this.closed = true;
	}
}

/** One device whose answers a test can change: its services, a failure to throw, how actions behave. */
export class ScriptedDevice implements FleetClient {
	overviewData: DeviceOverview;
	htmlData: HtmlOverview;
	failure: DeviceError | null = null;
	requests = 0;
	readonly actions: string[] = [];
	readonly streams: ScriptedLogStream[] = [];
	nextPid = 1000;

	constructor(readonly target: DeviceTarget) {
		this.overviewData = parseOverview(JSON.parse(readCapture('root-accept-json.txt').body.toString('utf8')));
		this.htmlData = parseHtmlOverview(readCapture('root-html.txt').body.toString('utf8'));
	}

	#check(): void {
		this.requests++;
		if (this.failure) {
			throw this.failure;
		}
	}

	#replace(path: string, change: (status: ServiceStatus) => ServiceStatus): ServiceStatus {
		const status = this.overviewData.services.find(service => service.path === path);
		if (!status) {
			throw new DeviceError(this.target.name, 'unknown-service', `no service ${path}`);
		}

		const next = change(status);
		this.overviewData = {...this.overviewData, services: this.overviewData.services.map(service => (service.path === path ? next : service))};
		return next;
	}

	async overview(): Promise<DeviceOverview> {
		this.#check();
		return this.overviewData;
	}

	async htmlOverview(): Promise<HtmlOverview> {
		this.#check();
		return this.htmlData;
	}

	async service(path: string): Promise<ServiceStatus> {
		this.#check();
		const status = this.overviewData.services.find(service => service.path === path);
		if (!status) {
			throw new DeviceError(this.target.name, 'unknown-service', `no service ${path}`);
		}

		return status;
	}

	async stop(path: string): Promise<void> {
		this.#check();
		this.actions.push(`stop ${path}`);
		this.#replace(path, status => ({...status, stopped: true}));
	}

	async restart(path: string, options: {kill?: boolean; once?: boolean} = {}): Promise<void> {
		this.#check();
		this.actions.push(`restart ${path}${options.kill ? ' kill' : ''}${options.once ? ' once' : ''}`);
		this.#replace(path, status => ({...status, stopped: false, pid: this.nextPid++, startTime: new Date(Date.now() - 10_000)}));
	}

	async start(path: string): Promise<void> {
		return this.restart(path);
	}

	async waitForNewPid(path: string): Promise<ServiceStatus> {
		return this.service(path);
	}

	async reboot(): Promise<void> {
		this.#check();
		this.actions.push('reboot');
	}

	async powerOff(): Promise<void> {
		this.#check();
		this.actions.push('poweroff');
	}

	logs(): LogStream {
		const stream = new ScriptedLogStream();
		this.streams.push(stream);
		return stream as unknown as LogStream;
	}

	close(): void {
		// Nothing to close.
	}
}

export function scriptedTarget(name: string): DeviceTarget {
	return {name, url: `http://${name}.invalid`, source: 'url'};
}

/** A started store over scripted devices, polling fast so tests do not wait long. */
export function scriptedFleet(names: string[], options: Partial<FleetStoreOptions> = {}): {store: FleetStore; devices: Map<string, ScriptedDevice>} {
	const devices = new Map<string, ScriptedDevice>();
	const store = createFleetStore({
		targets: names.map(name => scriptedTarget(name)),
		pollIntervalMs: 100,
		notifyMs: 10,
		nodeExporter: null,
		maxBackoffMs: 400,
		...options,
		clientFactory(target) {
			const device = new ScriptedDevice(target);
			devices.set(target.name, device);
			return device;
		},
	});
	store.start();
	return {store, devices};
}
