import { describe, expect, it } from 'vitest';
import { renderTable, truncate } from './table.js';

describe('terminal tables', () => {
  it('cut text by the columns it takes, not by its characters', () => {
    const english = 'Registration form and implementation plan of Hukou county';
    expect(truncate(english, 40)).toBe('Registration form and implementation pl…');
    expect(truncate('湖口县总工会参赛报名表和竞赛实施方案（修改后重新报送）', 40)).toBe('湖口县总工会参赛报名表和竞赛实施方案（…');
    expect(truncate('湖口县参赛材料', 40)).toBe('湖口县参赛材料');
    // A character outside the BMP is one character, never half of one.
    expect(truncate('𠀀'.repeat(30), 10)).toBe('𠀀𠀀𠀀𠀀…');
  });

  it('line up Chinese and English cells', () => {
    expect(renderTable(['unit', 'n'], [['湖口县', '1'], ['hukou', '22']])).toBe('unit    n\n------  --\n湖口县  1\nhukou   22');
  });
});
