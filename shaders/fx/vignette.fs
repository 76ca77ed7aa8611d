/*{
    "ISFVSN": "2",
    "DESCRIPTION": "Levels and vignette: input black and white points, gamma, a tint, and darkened corners.",
    "CREDIT": "performer",
    "CATEGORIES": ["Color Adjustment", "performer"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "black", "LABEL": "Black point", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 0.5},
        {"NAME": "white", "LABEL": "White point", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.5, "MAX": 1.0},
        {"NAME": "gamma", "LABEL": "Gamma", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.3, "MAX": 3.0},
        {"NAME": "tint", "LABEL": "Tint", "TYPE": "color", "DEFAULT": [1.0, 1.0, 1.0, 1.0]},
        {"NAME": "vignette", "LABEL": "Vignette", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.0},
        {"NAME": "softness", "LABEL": "Vignette softness", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.05, "MAX": 1.0}
    ]
}*/

void main() {
    vec4 color = IMG_THIS_PIXEL(inputImage);
    vec3 level = clamp((color.rgb - black) / max(white - black, 0.001), 0.0, 1.0);
    level = pow(level, vec3(1.0 / gamma)) * tint.rgb;
    vec2 p = (isf_FragNormCoord - 0.5) * vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
    float edge = smoothstep(0.9, 0.9 - softness, length(p) * 1.2);
    gl_FragColor = vec4(level * mix(1.0, edge, vignette), color.a);
}
