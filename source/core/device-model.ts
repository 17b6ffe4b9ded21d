// What a device reports, as the client hands it to the rest of the program: parsed, typed, with derived states.

export type ServiceStatus = {
	path: string;
	/** The supervisor will not start it again. */
	stopped: boolean;
	/** null for a service never started (Go's zero time 0001-01-01T00:00:00Z). */
	startTime: Date | null;
	/** Id of the last process, kept after it exited; 0 when never started or not executable. */
	pid: number;
	args: string[];
	diverted: string;
};

export type ServiceState = 'running' | 'stopped' | 'restarting';

export type PermInfo = {dev: string; used: number; avail: number; total: number};

export type MountInfo = {dev: string; used: number; avail: number; total: number};

export type DeviceOverview = {
	services: ServiceStatus[];
	hostname: string;
	model: string;
	kernel: string;
	/** As the device printed it (RFC 3339); empty when unknown. */
	buildTimestamp: string;
	sbomHash: string;
	memory: {total: number; available: number} | null;
	perm: PermInfo | null;
	privateAddrs: string[];
	publicAddrs: string[];
	mountDevices: MountInfo[];
	eeprom: unknown;
	permUuid: string;
};

export type LastLog = {stdout?: string; stderr?: string};

/** What only the HTML overview has. */
export type HtmlOverview = {
	/** Resident set size in bytes by service path, for services with a non-zero RSS. */
	rss: Map<string, number>;
	/** The init's own RSS in bytes, when shown. */
	initRss: number | null;
	/** The last stdout and stderr line of each service (HTML entities decoded). */
	lastLog: Map<string, LastLog>;
};

export type LogStreamName = 'stdout' | 'stderr';
export type LogStreamChoice = LogStreamName | 'both';

export type LogLine = {stream: LogStreamName; line: string};

/** The web UI's rule: not stopped and started under 5 s ago is "restarting". */
export const restartingWindowMs = 5000;

export function serviceState(service: ServiceStatus, now: number = Date.now()): ServiceState {
	if (service.stopped) {
		return 'stopped';
	}

	if (service.startTime === null || now - service.startTime.getTime() < restartingWindowMs) {
		return 'restarting';
	}

	return 'running';
}

/** `/user/golink` → `golink`. */
export function serviceName(path: string): string {
	const slash = path.lastIndexOf('/');
	return slash === -1 ? path : path.slice(slash + 1);
}

/** A bare name means `/user/NAME`, as `gok logs -s` does; a path is taken as it is. */
export function servicePath(nameOrPath: string): string {
	return nameOrPath.startsWith('/') ? nameOrPath : `/user/${nameOrPath}`;
}
