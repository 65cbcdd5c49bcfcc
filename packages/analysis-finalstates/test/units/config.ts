/** config.yaml and flags: the embedded defaults, validation that names the key, the stage rules. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_CONFIG, validateConfig, mergeConfig, parseTasks, ConfigError } from '@gluon/analysis-finalstates';

t.test('config.yaml documents exactly the defaults', async (t) => {
  const doc = parse(readFileSync(fileURLToPath(new URL('../../config.yaml', import.meta.url)), 'utf8'));
  t.same(mergeConfig(validateConfig(doc, 'config.yaml'), {}), DEFAULT_CONFIG);
});

t.test('bad keys and values are named with their source', async (t) => {
  t.throws(() => validateConfig({ bin_widht_gev: 5 }, 'c.yaml'), /c\.yaml: unknown key "bin_widht_gev" \(did you mean "bin_width_gev"\? known keys: /);
  t.throws(() => validateConfig({ objects: { electrons: { pt_min: 5 } } }, 'c.yaml'), /c\.yaml: objects\.electrons: unknown key "pt_min" \(did you mean "pt_min_gev"\? known keys: pt_min_gev, /);
  t.throws(() => validateConfig({ host: ['lab1', 'lab2'] }, 'c.yaml'), /^c\.yaml: unknown key "host" \(did you mean "hosts"\? known keys: /);
  t.throws(() => validateConfig({ objects: { muons: { abs_eta_max: -1 } } }, 'c.yaml'), /objects\.muons\.abs_eta_max must be a positive number, got -1/);
  t.throws(() => validateConfig({ objects_to_calculate: ['electrons', 'taus'] }, 'c.yaml'), /objects_to_calculate lists "taus"/);
  t.throws(() => validateConfig({ peaks: [{ combinations: ['2m_2e'], center_gev: 125, half_width_gev: 5 }] }, 'c.yaml'), /peaks\[0\]\.combinations: "2m_2e" is not/);
  t.throws(() => validateConfig({ peaks: [{ combinations: ['2e'], center_gev: 91 }] }, 'c.yaml'), /peaks\[0\]: half_width_gev is missing/);
  t.throws(() => validateConfig({ schema: 'lhcb' }, 'c.yaml'), /schema must be one of atlas-2020, cms-nanoaod/);
  t.throws(() => validateConfig({ min_events_per_fs: 2.5 }, '--min-events-per-fs'), /--min-events-per-fs: min_events_per_fs must be an integer/);
});

t.test('whole-configuration rules: particle range, binning, stage prerequisites', async (t) => {
  t.throws(() => mergeConfig({ min_particles: 3, max_particles: 2 }, {}), /^max_particles 2 must be ≥ min_particles 3$/);
  t.throws(() => mergeConfig({ bin_width_gev: 30 }, {}), /^tail_threshold_gev 1000 must be a whole number of bin_width_gev 30 bins$/);
  t.doesNotThrow(() => mergeConfig({ bin_width_gev: 2.5 }, {}));
  t.throws(() => mergeConfig({}, { tasks: parseTasks('masses,histograms') }), /^tasks masses,histograms leaves out parse, which masses,histograms need/);
  t.throws(() => mergeConfig({}, { tasks: parseTasks('parse,histograms') }), /^tasks parse,histograms leaves out masses, which histograms needs$/);
  t.throws(() => parseTasks('parse,mass'), ConfigError);
  t.throws(() => parseTasks('parse,mass'), /unknown stage "mass"/);
  t.same(mergeConfig({}, { tasks: parseTasks('parse,masses') }).tasks, { parse: true, masses: true, postprocess: false, histograms: false });
  const c = mergeConfig({ objects: { jets: { pt_min_gev: 30 } } as never, tasks: { histograms: false } as never }, { min_events_per_fs: 1 });
  t.equal(c.objects.jets.pt_min_gev, 30); t.equal(c.objects.jets.abs_eta_max, 2.5, 'objects merge per entry');
  t.equal(c.tasks.histograms, false); t.equal(c.tasks.masses, true, 'tasks merge per stage');
  t.equal(c.min_events_per_fs, 1);
});
