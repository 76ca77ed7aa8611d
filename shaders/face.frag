#version 330
// The face, upscaled with Catmull-Rom bicubic filtering into u_rect, black around it
// (letterbox / pillarbox). u_crossfade > 0 mixes in the previous frame.

#include "common.glsl"

uniform sampler2D u_face;       // current frame, RGB, GL row 0 = image bottom
uniform sampler2D u_face_prev;  // previous frame, same size
uniform float u_crossfade;      // 0..1 weight of the previous frame
uniform vec4 u_rect;            // where the face goes, in framebuffer pixels

out vec4 f_color;

void main() {
    vec2 pos = rect_pos(u_rect);
    if (!inside_rect(pos, u_rect)) {
        f_color = vec4(0.0, 0.0, 0.0, 1.0);
        return;
    }
    vec2 size = vec2(textureSize(u_face, 0));
    vec3 color = catmull_rom(u_face, texel_coord(pos, u_rect.zw, size));
    if (u_crossfade > 0.0) {
        vec3 prev = catmull_rom(u_face_prev, texel_coord(pos, u_rect.zw, size));
        color = mix(color, prev, u_crossfade);
    }
    f_color = vec4(clamp(color, 0.0, 1.0), 1.0);
}
