// How the dashboard divides the terminal: never taller than it, and saying what did not fit.

/** Below this the dashboard shows only a line saying the terminal is too small. */
export const minimumSize = {columns: 30, rows: 6};

/** The size at which everything is shown. */
export const comfortableSize = {columns: 80, rows: 24};

export type FleetLayout = {
	/** Lines the whole frame may use: one less than the terminal, so Ink never clears the screen to redraw. */
	readonly height: number;
	readonly width: number;
	readonly tooSmall: boolean;
	readonly deviceRows: number;
	/** 0: the service list is hidden. */
	readonly serviceRows: number;
	/** 0: the graphs are hidden; else their lines including the title. */
	readonly graphRows: number;
	/** Device table columns that fit. */
	readonly deviceColumns: ColumnMode;
	readonly serviceColumns: ColumnMode;
	/** What is not shown for lack of room, in words ("graphs (need 80×22)"). */
	readonly hidden: readonly string[];
};

const graphFull = 5;
const graphSmall = 3;

/**
 * `serviceCount`: the most services any device lists. Rows the service list cannot fill go to the graphs, which grow
 * taller, instead of leaving an empty band between the two.
 */
export function fleetLayout(columns: number, rows: number, deviceCount: number, options: {dialogRows?: number; serviceCount?: number} = {}): FleetLayout {
	const height = Math.max(1, rows - 1);
	const width = Math.max(1, columns);
	const hidden: string[] = [];
	if (columns < minimumSize.columns || rows < minimumSize.rows) {
		return {
			height,
			width,
			tooSmall: true,
			deviceRows: 0,
			serviceRows: 0,
			graphRows: 0,
			deviceColumns: 'narrow',
			serviceColumns: 'narrow',
			hidden: ['everything'],
		};
	}

	// Title and footer, then the dialog (if any) takes its lines before anything else.
	let remaining = height - 2 - (options.dialogRows ?? 0);
	let graphRows = 0;
	if (remaining >= 20) {
		graphRows = graphFull;
	} else if (remaining >= 15) {
		// The graphs pane shows what fits its rows (and they grow below); no "no room" claim for graphs it may show.
		graphRows = graphSmall;
	} else {
		hidden.push('graphs');
	}

	remaining -= graphRows;
	// Device section: its header and rows; services: title, header and rows.
	const wantDevices = Math.max(1, deviceCount);
	let deviceRows = Math.min(wantDevices, Math.max(1, Math.floor((remaining - 4) * 0.4)));
	let serviceRows = remaining - 1 - deviceRows - 2;
	if (serviceRows < 1) {
		serviceRows = 0;
		deviceRows = Math.max(1, Math.min(wantDevices, remaining - 1));
		hidden.push('services');
	} else if (deviceRows < wantDevices && serviceRows > 6) {
		// Give devices more room while the service list stays usable.
		const extra = Math.min(wantDevices - deviceRows, serviceRows - 6);
		deviceRows += extra;
		serviceRows -= extra;
	}

	const wantServices = Math.max(1, options.serviceCount ?? Number.POSITIVE_INFINITY);
	if (graphRows > 0 && serviceRows > wantServices) {
		graphRows += serviceRows - wantServices;
		serviceRows = wantServices;
	}

	const deviceColumns = columns >= 110 ? 'wide' : columns >= 64 ? 'medium' : 'narrow';
	const serviceColumns = columns >= 110 ? 'wide' : columns >= 64 ? 'medium' : 'narrow';
	if (columns < 64) {
		hidden.push('memory, build age and sparklines');
	}

	return {height, width, tooSmall: false, deviceRows, serviceRows, graphRows, deviceColumns, serviceColumns, hidden};
}

/** How many columns a table shows: what fits the width. */
export type ColumnMode = 'narrow' | 'medium' | 'wide';

/** What the device and the service table both take: a scrolling window of rows around the selected one. */
export type TableWindowProps = {
	selected: string | null;
	focused: boolean;
	rows: number;
	width: number;
	mode: ColumnMode;
	now: number;
};

/** The first index of a window of `size` rows that keeps `selected` visible, scrolling as little as possible. */
export function windowStart(total: number, size: number, selected: number, previousStart = 0): number {
	if (total <= size || size <= 0) {
		return 0;
	}

	let start = Math.min(previousStart, total - size);
	if (selected < start) {
		start = selected;
	} else if (selected >= start + size) {
		start = selected - size + 1;
	}

	return Math.max(0, Math.min(start, total - size));
}
