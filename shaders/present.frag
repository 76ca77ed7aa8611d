#version 330
// The output picture shown in the window: drawn into the letterboxed viewport, unchanged.

uniform sampler2D u_picture;

in vec2 v_uv;
out vec4 f_color;

void main() {
    f_color = vec4(texture(u_picture, v_uv).rgb, 1.0);
}
