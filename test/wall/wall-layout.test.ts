// The wall's layout as plain functions: terminal size and device count → mode, tiles, pages.
import test from 'ava';
import {
	bestGrid,
	logPaneHeight,
	maxTilesPerPage,
	minTileSize,
	tileParts,
	wallLayout,
	type Rect,
	type WallLayout,
} from '../../source/wall/wall-layout.js';

type Case = {
	columns: number;
	rows: number;
	devices: number;
	mode: WallLayout['mode'];
	detail?: WallLayout['detail'];
	grid?: [number, number];
	perPage?: number;
	pageCount?: number;
};

const cases: Case[] = [
	// One device gets the whole body.
	{columns: 160, rows: 48, devices: 1, mode: 'grid', detail: 'full', grid: [1, 1], perPage: 1, pageCount: 1},
	{columns: 160, rows: 48, devices: 3, mode: 'grid', detail: 'full', grid: [3, 1], perPage: 3, pageCount: 1},
	// A 1080p monitor holds all twelve as full tiles.
	{columns: 240, rows: 64, devices: 12, mode: 'grid', detail: 'full', grid: [4, 3], perPage: 12, pageCount: 1},
	// Smaller: fewer, larger tiles and a rotation rather than tiles too small for their chart.
	{columns: 160, rows: 48, devices: 12, mode: 'grid', detail: 'full', grid: [4, 2], perPage: 8, pageCount: 2},
	{columns: 80, rows: 24, devices: 1, mode: 'grid', detail: 'full', grid: [1, 1], perPage: 1, pageCount: 1},
	{columns: 80, rows: 24, devices: 4, mode: 'grid', detail: 'full', grid: [2, 1], perPage: 2, pageCount: 2},
	// Beyond twelve, pages of at most twelve.
	{columns: 300, rows: 100, devices: 30, mode: 'grid', detail: 'full', perPage: 12, pageCount: 3},
	// Too short for a full tile: compact tiles (header and table).
	{columns: 50, rows: 12, devices: 3, mode: 'grid', detail: 'compact', grid: [2, 1], perPage: 2, pageCount: 2},
	// Too small for any tile: one line per device.
	{columns: 30, rows: 5, devices: 3, mode: 'list', perPage: 3, pageCount: 1},
	{columns: 30, rows: 4, devices: 5, mode: 'list', perPage: 2, pageCount: 3},
	// Not even that.
	{columns: 10, rows: 2, devices: 3, mode: 'too-small'},
	{columns: 19, rows: 40, devices: 3, mode: 'too-small'},
];

for (const expected of cases) {
	test(`${expected.columns}×${expected.rows} with ${expected.devices} devices: ${expected.mode}${expected.detail ? ` ${expected.detail}` : ''}`, t => {
		const layout = wallLayout({columns: expected.columns, rows: expected.rows, deviceCount: expected.devices, page: 0});
		t.is(layout.mode, expected.mode);
		if (expected.detail !== undefined) {
			t.is(layout.detail, expected.detail);
		}

		if (expected.grid) {
			t.deepEqual([layout.grid.columns, layout.grid.rows], expected.grid);
		}

		if (expected.perPage !== undefined) {
			t.is(layout.perPage, expected.perPage);
			t.is(layout.devices.length, Math.min(expected.perPage, expected.devices));
		}

		if (expected.pageCount !== undefined) {
			t.is(layout.pageCount, expected.pageCount);
		}
	});
}

const inside = (inner: Rect, outer: Rect) => inner.left >= outer.left && inner.top >= outer.top
	&& inner.left + inner.width <= outer.left + outer.width && inner.top + inner.height <= outer.top + outer.height;

const overlap = (a: Rect, b: Rect) => a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

test('over many sizes: tiles fit the screen, do not overlap, are big enough for their detail, and every device is on exactly one page', t => {
	let checked = 0;
	for (const columns of [20, 33, 40, 57, 80, 100, 132, 160, 200, 240, 320]) {
		for (const rows of [3, 5, 9, 14, 20, 24, 30, 40, 48, 64, 80]) {
			for (const devices of [1, 2, 3, 5, 7, 12, 13, 25]) {
				const first = wallLayout({columns, rows, deviceCount: devices, page: 0});
				const seen: number[] = [];
				for (let page = 0; page < first.pageCount; page++) {
					const layout = wallLayout({columns, rows, deviceCount: devices, page});
					t.is(layout.page, page);
					seen.push(...layout.devices);
					const screen: Rect = {left: 0, top: 0, width: columns, height: rows};
					t.true(inside(layout.body, screen));
					if (layout.log) {
						t.true(inside(layout.log, screen));
						t.false(overlap(layout.log, layout.body));
					}

					t.true(layout.perPage <= maxTilesPerPage || layout.mode === 'list');
					for (const [index, tile] of layout.tiles.entries()) {
						t.true(inside(tile.rect, layout.body), `${columns}×${rows}: tile ${index} leaves the body`);
						t.true(tile.rect.width >= minTileSize[tile.detail].width && tile.rect.height >= minTileSize[tile.detail].height);
						for (const part of Object.values(tile.parts)) {
							if (part) {
								t.true(inside(part, tile.rect), `${columns}×${rows}: a part leaves its tile`);
							}
						}

						for (const other of layout.tiles.slice(index + 1)) {
							t.false(overlap(tile.rect, other.rect));
						}
					}

					checked++;
				}

				if (first.mode !== 'too-small') {
					t.deepEqual(seen, Array.from({length: devices}, (_, index) => index), `${columns}×${rows}, ${devices} devices`);
				}
			}
		}
	}

	t.true(checked > 900);
});

test('pages wrap around in both directions', t => {
	const at = (page: number) => wallLayout({columns: 160, rows: 48, deviceCount: 12, page});
	t.deepEqual(at(1).devices, [8, 9, 10, 11]);
	t.is(at(2).page, 0);
	t.is(at(-1).page, 1);
	t.deepEqual(at(-1).devices, at(1).devices);
});

test('tiles fill the grid row by row and use the whole width', t => {
	const layout = wallLayout({columns: 161, rows: 48, deviceCount: 3, page: 0});
	t.deepEqual(layout.tiles.map(tile => tile.rect.left), [0, 53, 107]);
	t.is(layout.tiles.reduce((sum, tile) => sum + tile.rect.width, 0), 161);
	t.true(layout.tiles.every(tile => tile.rect.top === 1));
});

test('a full tile stacks header, chart beside gauge and facts, then the table', t => {
	const parts = tileParts({left: 10, top: 1, width: 60, height: 30}, 'full');
	t.deepEqual(parts.header, {left: 11, top: 1, width: 58, height: 1});
	t.is(parts.chart?.top, 2);
	t.is(parts.gauge?.top, 2);
	t.is(parts.chart!.width + parts.gauge!.width, 60);
	t.is(parts.gauge!.height, 6);
	t.is(parts.facts?.top, 8);
	t.is(parts.table.top, 2 + parts.chart!.height);
	t.is(parts.table.top + parts.table.height, 31);
	t.true(parts.table.height >= 7);
});

test('a compact tile is a header and a table', t => {
	const parts = tileParts({left: 0, top: 1, width: 30, height: 8}, 'compact');
	t.is(parts.chart, null);
	t.is(parts.gauge, null);
	t.deepEqual(parts.table, {left: 0, top: 2, width: 30, height: 7});
});

test('bestGrid prefers the arrangement with the largest tiles and skips ones with an empty row or column', t => {
	t.deepEqual(bestGrid(3, {width: 200, height: 40}, minTileSize.full), {columns: 3, rows: 1, tileWidth: 66, tileHeight: 40});
	t.deepEqual(bestGrid(4, {width: 100, height: 60}, minTileSize.full), {columns: 2, rows: 2, tileWidth: 50, tileHeight: 30});
	t.is(bestGrid(12, {width: 100, height: 30}, minTileSize.full), null);
	// 5 tiles never come as 3 × 3 (a whole empty row).
	const five = bestGrid(5, {width: 300, height: 90}, minTileSize.full);
	t.truthy(five);
	t.true(five!.columns * (five!.rows - 1) < 5);
});

test('the stderr pane is a sixth of a tall terminal, small on a short one, absent on a tiny one', t => {
	t.is(logPaneHeight(48), 8);
	t.is(logPaneHeight(24), 5);
	t.is(logPaneHeight(120), 12);
	t.is(logPaneHeight(16), 4);
	t.is(logPaneHeight(10), 0);
});
