// Where everything on the wall goes: terminal size and device count in, tiles (or a list) and page info out; no blessed here.

export type Rect = {readonly left: number; readonly top: number; readonly width: number; readonly height: number};

/** full: chart, gauge and service table; compact: a header line and the service table. */
export type TileDetail = 'full' | 'compact';

export type TileParts = {
	/** One line: name, hostname, health. */
	readonly header: Rect;
	readonly chart: Rect | null;
	readonly gauge: Rect | null;
	/** Text under the gauge (model, memory, counts), when there is room. */
	readonly facts: Rect | null;
	readonly table: Rect;
};

export type Tile = {
	/** Position on the page, row by row. */
	readonly slot: number;
	/** Index into the device list. */
	readonly device: number;
	readonly rect: Rect;
	readonly detail: TileDetail;
	readonly parts: TileParts;
};

export type WallLayout = {
	/** grid: tiles; list: one line per device; too-small: only a message fits. */
	readonly mode: 'grid' | 'list' | 'too-small';
	readonly columns: number;
	readonly rows: number;
	/** The title line at the top. */
	readonly title: Rect;
	/** The fleet's stderr pane at the bottom; null when the terminal is too short for one. */
	readonly log: Rect | null;
	/** What the tiles or the list cover. */
	readonly body: Rect;
	/** Grid shape (columns × rows of tiles); 0 × 0 outside grid mode. */
	readonly grid: {readonly columns: number; readonly rows: number};
	readonly detail: TileDetail | null;
	readonly perPage: number;
	/** Normalised: always within 0 … pageCount - 1. */
	readonly page: number;
	readonly pageCount: number;
	/** Device indexes shown on this page. */
	readonly devices: readonly number[];
	/** Grid mode only. */
	readonly tiles: readonly Tile[];
};

export const maxTilesPerPage = 12;

/**
 * The smallest tile each detail level is drawn in: a full tile's chart needs 7 rows for a plot of four, and its
 * table 7 rows for three services.
 */
export const minTileSize: Readonly<Record<TileDetail, {readonly width: number; readonly height: number}>> = {
	full: {width: 40, height: 15},
	compact: {width: 24, height: 6},
};

/** Below this nothing but a message fits. */
export const minTerminal = {columns: 20, rows: 3};

// A terminal cell is about twice as tall as it is wide, and tiles read best a little wider than square.
const cellAspect = 2.5;

export type LayoutInput = {
	columns: number;
	rows: number;
	deviceCount: number;
	/** Any integer: it wraps around the page count. */
	page: number;
};

/** How tall the stderr pane is: a sixth of the terminal, at least 5 rows (3 lines) when there is room. */
export function logPaneHeight(rows: number): number {
	if (rows >= 24) {
		return Math.min(12, Math.max(5, Math.round(rows / 6)));
	}

	return rows >= 14 ? 4 : 0;
}

type GridChoice = {columns: number; rows: number; tileWidth: number; tileHeight: number};

/**
 * The arrangement of `count` tiles in `area` with the largest tiles (measured by their shorter side, widths scaled by
 * the cell aspect) that are at least `min` big; null when none is. Arrangements with a whole empty row or column are
 * not considered.
 */
export function bestGrid(count: number, area: {width: number; height: number}, min: {width: number; height: number}): GridChoice | null {
	let best: (GridChoice & {score: number; empty: number}) | null = null;
	for (let columns = 1; columns <= count; columns++) {
		const rows = Math.ceil(count / columns);
		if (columns * (rows - 1) >= count || (columns - 1) * rows >= count) {
			continue;
		}

		const tileWidth = Math.floor(area.width / columns);
		const tileHeight = Math.floor(area.height / rows);
		if (tileWidth < min.width || tileHeight < min.height) {
			continue;
		}

		const score = Math.min(tileWidth / cellAspect, tileHeight);
		const empty = columns * rows - count;
		if (!best || score > best.score || (score === best.score && empty < best.empty)) {
			best = {columns, rows, tileWidth, tileHeight, score, empty};
		}
	}

	return best ? {columns: best.columns, rows: best.rows, tileWidth: best.tileWidth, tileHeight: best.tileHeight} : null;
}

/** Splits `total` cells into `parts` runs that differ by at most one and fill it exactly. */
function split(start: number, total: number, parts: number, index: number): {start: number; size: number} {
	const from = Math.floor((index * total) / parts);
	const to = Math.floor(((index + 1) * total) / parts);
	return {start: start + from, size: to - from};
}

/** The widgets of one tile inside its rectangle. */
export function tileParts(rect: Rect, detail: TileDetail): TileParts {
	// The header keeps a column free on each side, so neighbouring tiles' headers never run into each other.
	const header: Rect = {left: rect.left + 1, top: rect.top, width: Math.max(1, rect.width - 2), height: 1};
	const below = rect.height - 1;
	if (detail === 'compact') {
		return {header, chart: null, gauge: null, facts: null, table: {left: rect.left, top: rect.top + 1, width: rect.width, height: below}};
	}

	// The chart gets about half of what is below the header; the table keeps at least 7 rows (three services).
	const chartHeight = Math.min(Math.max(7, Math.floor(below * 0.5)), 20, below - 7);
	const gaugeWidth = Math.min(26, Math.max(14, Math.floor(rect.width * 0.3)));
	const gaugeHeight = Math.min(6, chartHeight);
	const side = rect.left + rect.width - gaugeWidth;
	const factsHeight = chartHeight - gaugeHeight;
	return {
		header,
		chart: {left: rect.left, top: rect.top + 1, width: rect.width - gaugeWidth, height: chartHeight},
		gauge: {left: side, top: rect.top + 1, width: gaugeWidth, height: gaugeHeight},
		facts: factsHeight > 0 ? {left: side + 1, top: rect.top + 1 + gaugeHeight, width: gaugeWidth - 1, height: factsHeight} : null,
		table: {left: rect.left, top: rect.top + 1 + chartHeight, width: rect.width, height: below - chartHeight},
	};
}

function pageOf(deviceCount: number, perPage: number, page: number): {page: number; pageCount: number; devices: number[]} {
	const pageCount = Math.max(1, Math.ceil(deviceCount / Math.max(1, perPage)));
	const normalised = ((Math.trunc(page) % pageCount) + pageCount) % pageCount;
	const first = normalised * perPage;
	const devices: number[] = [];
	for (let index = first; index < Math.min(deviceCount, first + perPage); index++) {
		devices.push(index);
	}

	return {page: normalised, pageCount, devices};
}

/**
 * Lays out the wall. Up to 12 devices share a page as full tiles; when they do not fit, fewer full tiles per page
 * (more pages), then compact tiles, then one line per device; when not even that fits, only a message.
 */
export function wallLayout(input: LayoutInput): WallLayout {
	const columns = Math.max(0, Math.floor(input.columns));
	const rows = Math.max(0, Math.floor(input.rows));
	const deviceCount = Math.max(0, Math.floor(input.deviceCount));
	const title: Rect = {left: 0, top: 0, width: columns, height: Math.min(1, rows)};
	const base = {columns, rows, title};
	if (columns < minTerminal.columns || rows < minTerminal.rows) {
		return {
			...base, mode: 'too-small', log: null, body: {left: 0, top: title.height, width: columns, height: Math.max(0, rows - title.height)},
			grid: {columns: 0, rows: 0}, detail: null, perPage: 0, page: 0, pageCount: 1, devices: [], tiles: [],
		};
	}

	const logHeight = logPaneHeight(rows);
	const log: Rect | null = logHeight > 0 ? {left: 0, top: rows - logHeight, width: columns, height: logHeight} : null;
	const body: Rect = {left: 0, top: 1, width: columns, height: rows - 1 - logHeight};
	const most = Math.min(maxTilesPerPage, deviceCount);
	for (const detail of ['full', 'compact'] as const) {
		for (let perPage = most; perPage >= 1; perPage--) {
			const grid = bestGrid(perPage, body, minTileSize[detail]);
			if (!grid) {
				continue;
			}

			const paging = pageOf(deviceCount, perPage, input.page);
			const tiles = paging.devices.map((device, slot): Tile => {
				const column = split(body.left, body.width, grid.columns, slot % grid.columns);
				const row = split(body.top, body.height, grid.rows, Math.floor(slot / grid.columns));
				const rect: Rect = {left: column.start, top: row.start, width: column.size, height: row.size};
				return {slot, device, rect, detail, parts: tileParts(rect, detail)};
			});
			return {...base, mode: 'grid', log, body, grid: {columns: grid.columns, rows: grid.rows}, detail, perPage, ...paging, tiles};
		}
	}

	// The list has a heading line, then one line per device.
	const perPage = Math.max(1, body.height - 1);
	return {...base, mode: 'list', log, body, grid: {columns: 0, rows: 0}, detail: null, perPage, ...pageOf(deviceCount, perPage, input.page), tiles: []};
}
