// Helpers shared by performer's fragment shaders. Use them with: #include "common.glsl"

// Pixel position of this fragment inside `rect` (x, y, w, h in framebuffer pixels, GL origin
// bottom-left), measured at the pixel centre.
vec2 rect_pos(vec4 rect) {
    return gl_FragCoord.xy - rect.xy;
}

bool inside_rect(vec2 pos, vec4 rect) {
    return all(greaterThanEqual(pos, vec2(0.0))) && all(lessThan(pos, rect.zw));
}

// Catmull-Rom weights for the taps at -1, 0, +1, +2 around a sample `f` (0..1) past tap 0.
vec4 catmull_rom_weights(float f) {
    float f2 = f * f;
    float f3 = f2 * f;
    return vec4(
        -0.5 * f3 + f2 - 0.5 * f,
         1.5 * f3 - 2.5 * f2 + 1.0,
        -1.5 * f3 + 2.0 * f2 + 0.5 * f,
         0.5 * f3 - 0.5 * f2
    );
}

// Bicubic (Catmull-Rom) sample of `tex` at texel coordinate `t` (texel centres at integers),
// edges clamped. 16 texelFetch taps: exact, independent of the texture's filter settings.
vec3 catmull_rom(sampler2D tex, vec2 t) {
    ivec2 last = textureSize(tex, 0) - 1;
    vec2 i = floor(t);
    vec4 wx = catmull_rom_weights(t.x - i.x);
    vec4 wy = catmull_rom_weights(t.y - i.y);
    ivec2 base = ivec2(i) - 1;
    vec3 acc = vec3(0.0);
    for (int y = 0; y < 4; y++) {
        vec3 row = vec3(0.0);
        for (int x = 0; x < 4; x++) {
            ivec2 q = clamp(base + ivec2(x, y), ivec2(0), last);
            row += wx[x] * texelFetch(tex, q, 0).rgb;
        }
        acc += wy[y] * row;
    }
    return acc;
}

// Texel coordinate of `pos` (pixels inside a rect of size `rect_size`) in a texture of
// `tex_size` texels, so that the rect's edges meet the texture's outer edges.
vec2 texel_coord(vec2 pos, vec2 rect_size, vec2 tex_size) {
    return pos / rect_size * tex_size - 0.5;
}
