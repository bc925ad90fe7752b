// The detectors' start-up warm-up: it must exercise each detector's whole path (a match,
// validation, context words), not only its cheap gate, and run once per process.
import { describe, expect, it } from 'vitest';
import { detectors } from '../../../daemon/redaction/detectors/index.js';
import type { Detector } from '../../../daemon/redaction/types.js';
import { WARM_UP_SAMPLE, warmUpDetectors } from '../../../daemon/redaction/warm-up.js';

describe('warmUpDetectors', () => {
  it('has a sample in which every English/global detector finds a value', () => {
    for (const detector of detectors.filter((each) => !each.id.startsWith('jp-'))) {
      expect(detector.detect(WARM_UP_SAMPLE).length, detector.id).toBeGreaterThan(0);
    }
  });

  it('runs the detectors over the sample on the first call only', () => {
    const seen: string[] = [];
    const counting: Detector = {
      id: 'counting',
      entityTypes: ['EMAIL'],
      detect(text) {
        seen.push(text);
        return [];
      },
    };
    warmUpDetectors([counting]);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((text) => text === WARM_UP_SAMPLE)).toBe(true);
    const runs = seen.length;
    warmUpDetectors([counting]);
    warmUpDetectors(detectors);
    expect(seen.length).toBe(runs);
  });
});
