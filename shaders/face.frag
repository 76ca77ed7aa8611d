#version 330
// The face, upscaled with Catmull-Rom bicubic filtering into u_rect, black around it
// (letterbox / pillarbox). Drawn once per refresh with the current frame (u_alpha = 1, no
// blending) and, while a cross-fade runs, once more with the previous frame blended over it
// (u_alpha = its weight): a second pass is cheaper than a branch that CPU rasterisers
// would evaluate on both sides.

#include "common.glsl"

uniform sampler2D u_face;  // RGB, GL row 0 = image bottom
uniform vec4 u_rect;       // where the face goes, in framebuffer pixels
uniform float u_alpha;     // output alpha

out vec4 f_color;

void main() {
    vec2 pos = rect_pos(u_rect);
    if (!inside_rect(pos, u_rect)) {
        f_color = vec4(0.0, 0.0, 0.0, u_alpha);
        return;
    }
    vec2 size = vec2(textureSize(u_face, 0));
    vec3 color = catmull_rom(u_face, texel_coord(pos, u_rect.zw, size));
    f_color = vec4(clamp(color, 0.0, 1.0), u_alpha);
}
