// Runs the demo device's breakglass in its own process, as the demo device's supervised program does; options as JSON in argv.
import {runBreakglassServer, type BreakglassServerOptions} from '../../source/demo/breakglass-server.js';

await runBreakglassServer(JSON.parse(process.argv[2]!) as BreakglassServerOptions);
