/*{
    "ISFVSN": "2",
    "DESCRIPTION": "Kaleidoscope and mirror: the picture folded into N mirrored wedges around a centre, or mirrored left to right or top to bottom.",
    "CREDIT": "performer",
    "CATEGORIES": ["Kaleidoscope", "performer"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "segments", "LABEL": "Fold", "TYPE": "long", "DEFAULT": 6, "VALUES": [-2, -1, 2, 3, 4, 6, 8, 12], "LABELS": ["mirror top-bottom", "mirror left-right", "2 wedges", "3 wedges", "4 wedges", "6 wedges", "8 wedges", "12 wedges"]},
        {"NAME": "rotation", "LABEL": "Rotation", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 6.2832},
        {"NAME": "center", "LABEL": "Centre", "TYPE": "point2D", "DEFAULT": [0.5, 0.5], "MIN": [0.0, 0.0], "MAX": [1.0, 1.0]}
    ]
}*/

const float TAU = 6.2831853;

void main() {
    vec2 uv = isf_FragNormCoord;
    if (segments == -1) {
        gl_FragColor = IMG_NORM_PIXEL(inputImage, vec2(0.5 - abs(uv.x - 0.5), uv.y));
        return;
    }
    if (segments == -2) {
        gl_FragColor = IMG_NORM_PIXEL(inputImage, vec2(uv.x, 0.5 + abs(uv.y - 0.5)));
        return;
    }
    vec2 aspect = vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
    vec2 p = (uv - center) * aspect;
    float wedge = TAU / float(max(segments, 1));
    float a = mod(atan(p.y, p.x) - rotation, wedge);
    a = min(a, wedge - a);  // fold every other wedge back: mirrored seams
    vec2 q = length(p) * vec2(cos(a + rotation), sin(a + rotation));
    gl_FragColor = IMG_NORM_PIXEL(inputImage, clamp(q / aspect + center, 0.0, 1.0));
}
