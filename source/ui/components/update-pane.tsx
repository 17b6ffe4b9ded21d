// The update pane: what core/update's job is doing on the device shown, drawn from the update controller's state.
import React from 'react';
import {Box} from 'ink';
import {usePalette} from '../theme.js';
import {updatePaneLines} from '../update/update-pane-lines.js';
import type {UpdateViewState} from '../update/update-view.js';
import {Line} from './line.js';

export function UpdatePane({state, rows, width, readonly}: {state: UpdateViewState; rows: number; width: number; readonly?: boolean}) {
	const palette = usePalette();
	const lines = updatePaneLines(state, {width, rows, palette, readonly});
	return (
		<Box flexDirection="column" width={width} height={rows}>
			{lines.map((segments, index) => (
				// Lines are positional: the pane is redrawn whole.
				<Line key={index} segments={segments} />
			))}
		</Box>
	);
}
