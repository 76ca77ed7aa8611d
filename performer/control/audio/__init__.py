"""Audio input and analysis: level, bands, onsets and beats as modulation sources."""
